#!/bin/bash
# Builds bam's Debian packages into dist/ with Debian's own tools (dpkg-deb
# from staged trees with a full DEBIAN/ directory; dpkg-shlibdeps for
# Depends; lintian to check them). See packaging/README.md.
#
#   bam         always
#   bam-hub     when Package.swift has the executable product `bam-hub`
#   webmin-bam  when dist/bam.wbm.gz exists (`make webmin-module`)
#
# Binaries: `swift build -c release --static-swift-stdlib` in a scratch path
# of their own (BAM_DEB_SCRATCH, default .build-static, shared with `make webmin-module`) so the packages need no
# Swift runtime. Reproducible: SOURCE_DATE_EPOCH (default: the last commit's
# time) for every mtime, root:root owners, sorted archive members.
# Manual pages and completions are generated from the built binaries'
# argument parser, so they never drift from the code.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

SWIFT=${SWIFT:-swift}
scratch=${BAM_DEB_SCRATCH:-$top/.build-static}
dist=${BAM_DEB_DIST:-$top/dist}
maintainer=${BAM_DEB_MAINTAINER:-"bam maintainers <maintainers@bam.invalid>"}
arch=$(dpkg --print-architecture)
version=$(sed -n '/enum BamVersion/,/}/s/.*static let string = "\([^"]*\)".*/\1/p' Sources/BamCLI/Bam.swift)
[ -n "$version" ] || { echo "build-debs: no BamVersion.string in Sources/BamCLI/Bam.swift" >&2; exit 1; }
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || stat -c %Y Package.swift)
fi
export SOURCE_DATE_EPOCH
export LC_ALL=C TZ=UTC
umask 022

# Which packages this tree can build.
packages=(bam)
products=(bam)
if grep -Eq '\.executable\(name: *"bam-hub"' Package.swift; then
    packages+=(bam-hub); products+=(bam-hub)
else
    echo "build-debs: SKIPPED bam-hub: Package.swift has no executable product 'bam-hub'"
fi
if [ -f "$dist/bam.wbm.gz" ]; then
    packages+=(webmin-bam)
else
    echo "build-debs: SKIPPED webmin-bam: no $dist/bam.wbm.gz (made by 'make webmin-module')"
fi

# --- Binaries --------------------------------------------------------------
build=(build -c release --static-swift-stdlib --scratch-path "$scratch")
for product in "${products[@]}" generate-manual; do
    echo "build-debs: swift ${build[*]} --product $product"
    "$SWIFT" "${build[@]}" --product "$product"
done
bindir=$("$SWIFT" "${build[@]}" --show-bin-path)

# Depends from the libraries the binary links (dpkg-shlibdeps wants a
# debian/control to read; a minimal one in a scratch directory will do).
shlibs_of() {  # shlibs_of PACKAGE BINARY...
    local work="$scratch/deb/shlibdeps" pkg=$1 args=() f
    shift
    for f in "$@"; do args+=("-e$f"); done
    rm -rf "$work"; mkdir -p "$work/debian"
    printf 'Source: bam\n\nPackage: %s\nArchitecture: any\n' "$pkg" >"$work/debian/control"
    (cd "$work" && dpkg-shlibdeps -O "${args[@]}" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
}

# Only Debian's libraries: a Swift runtime library here would be missing on
# the servers the package goes to.
needs_no_swift_runtime() {  # needs_no_swift_runtime FILE...
    local f
    for f in "$@"; do
        if ldd "$f" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|not found'; then
            echo "build-debs: $f needs libraries Debian does not ship (above); build it with --static-swift-stdlib" >&2
            exit 1
        fi
    done
}

for product in "${products[@]}"; do needs_no_swift_runtime "$bindir/$product"; done

# --- Staging helpers ---------------------------------------------------------
stage_root() { echo "$scratch/deb/$1/root"; }

put() {  # put MODE SOURCE PACKAGE PATH
    install -D -m "$1" "$2" "$(stage_root "$3")$4"
}

strip_binary() {  # as dh_strip does: no debugging symbols in the package
    strip --remove-section=.comment --remove-section=.note --strip-unneeded "$1"
}

put_docs() {  # copyright and a changelog (native package: changelog.gz)
    local pkg=$1 doc
    doc="$(stage_root "$pkg")/usr/share/doc/$pkg"
    install -D -m 0644 packaging/copyright "$doc/copyright"
    {
        echo "$pkg ($version) unstable; urgency=medium"
        echo
        echo "  * Release $version, built from the bam source tree."
        echo
        echo " -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
    } | gzip -9n >"$doc/changelog.gz"
    chmod 0644 "$doc/changelog.gz"
}

# Manual pages from the parser's help (packaging/manuals.sh), gzipped.
put_manuals() {  # put_manuals PACKAGE BINARY
    local pkg=$1 binary=$2 out="$scratch/deb/man-$1" page
    rm -rf "$out"
    packaging/manuals.sh "$bindir/generate-manual" "$binary" "$out"
    install -d "$(stage_root "$pkg")/usr/share/man/man1"
    for page in "$out"/*.1; do
        gzip -9n <"$page" >"$(stage_root "$pkg")/usr/share/man/man1/$(basename "$page").gz"
    done
}

put_completions() {  # put_completions PACKAGE BINARY NAME
    local pkg=$1 binary=$2 name=$3 root
    root=$(stage_root "$pkg")
    install -d "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions"
    # Sourced by bash-completion, not run: no #! line.
    "$binary" --generate-completion-script bash | sed '1{/^#!/d;}' >"$root/usr/share/bash-completion/completions/$name"
    "$binary" --generate-completion-script zsh >"$root/usr/share/zsh/vendor-completions/_$name"
}

# DEBIAN/: control (with Depends and Installed-Size filled in), conffiles,
# maintainer scripts, md5sums; then normalise and build.
finish_package() {  # finish_package PACKAGE SHLIBS
    local pkg=$1 shlibs=$2 root control size file sed_empty=()
    root=$(stage_root "$pkg")
    install -d -m 0755 "$root/DEBIAN"
    for file in conffiles preinst postinst prerm postrm; do
        [ -f "packaging/$pkg/$file" ] || continue
        case $file in conffiles) mode=0644 ;; *) mode=0755 ;; esac
        install -m "$mode" "packaging/$pkg/$file" "$root/DEBIAN/$file"
    done
    (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z \
        | xargs -0r md5sum) >"$root/DEBIAN/md5sums"
    chmod 0644 "$root/DEBIAN/md5sums"
    size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
    control="$root/DEBIAN/control"
    [ -n "$shlibs" ] || sed_empty=(-e "s/, @SHLIBS@//")
    sed "${sed_empty[@]}" -e "s/@VERSION@/$version/g" -e "s/@ARCH@/$arch/g" -e "s/@MAINTAINER@/$maintainer/g" \
        -e "s/@INSTALLED_SIZE@/$size/g" -e "s/@SHLIBS@/$shlibs/g" "packaging/$pkg/control" >"$control"
    chmod 0644 "$control"
    find "$root" -type d -exec chmod 0755 {} +
    find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    mkdir -p "$dist"
    dpkg-deb --root-owner-group -Zxz --build "$root" "$dist/${pkg}_${version}_${arch}.deb" >/dev/null
    echo "build-debs: built $dist/${pkg}_${version}_${arch}.deb"
}

rm -rf "$scratch/deb"
rm -f "$dist"/bam_*.deb "$dist"/bam-hub_*.deb "$dist"/webmin-bam_*.deb

# --- bam -------------------------------------------------------------------
put 0755 "$bindir/bam" bam /usr/bin/bam
strip_binary "$(stage_root bam)/usr/bin/bam"
put 0755 packaging/bam/scheduled-backup bam /usr/lib/bam/scheduled-backup
put 0644 packaging/bam/bam-backup.service bam /lib/systemd/system/bam-backup.service
put 0644 packaging/bam/bam-backup.timer bam /lib/systemd/system/bam-backup.timer
put 0644 packaging/bam/conf bam /etc/bam/conf
put 0644 packaging/bam/overrides bam /etc/bam/overrides
put 0644 packaging/bam/logrotate bam /etc/logrotate.d/bam
install -d "$(stage_root bam)/etc/bam/hooks.d"
put_docs bam
put_manuals bam "$bindir/bam"
put_completions bam "$bindir/bam" bam
finish_package bam "$(shlibs_of bam "$(stage_root bam)/usr/bin/bam")"

# --- bam-hub -----------------------------------------------------------------
if [[ " ${packages[*]} " == *" bam-hub "* ]]; then
    put 0755 "$bindir/bam-hub" bam-hub /usr/bin/bam-hub
    strip_binary "$(stage_root bam-hub)/usr/bin/bam-hub"
    if [ -d templates/hub ]; then
        install -d "$(stage_root bam-hub)/usr/share/bam-hub"
        cp -R templates/hub "$(stage_root bam-hub)/usr/share/bam-hub/templates"
        find "$(stage_root bam-hub)/usr/share/bam-hub" -type f -exec chmod 0644 {} +
    fi
    put 0644 packaging/bam-hub/bam-hub.service bam-hub /lib/systemd/system/bam-hub.service
    put 0644 packaging/bam-hub/bam-hub.conf bam-hub /etc/bam-hub/bam-hub.conf
    put_docs bam-hub
    put_manuals bam-hub "$bindir/bam-hub"
    put_completions bam-hub "$bindir/bam-hub" bam-hub
    finish_package bam-hub "$(shlibs_of bam-hub "$(stage_root bam-hub)/usr/bin/bam-hub")"
fi

# --- webmin-bam -----------------------------------------------------------
if [[ " ${packages[*]} " == *" webmin-bam "* ]]; then
    put 0644 "$dist/bam.wbm.gz" webmin-bam /usr/share/webmin-bam/bam.wbm.gz
    put 0755 packaging/webmin-bam/webmin-module webmin-bam /usr/share/webmin-bam/webmin-module
    put_docs webmin-bam
    # The module's CGI programs are compiled: the same rules as for bam's
    # binary, and their libraries go into Depends.
    module="$scratch/deb/webmin-module"
    rm -rf "$module"; mkdir -p "$module"
    tar -xzf "$dist/bam.wbm.gz" -C "$module"
    mapfile -t programs < <(find "$module" -type f -exec sh -c 'head -c 4 "$1" | grep -q "ELF"' _ {} \; -print | sort)
    module_shlibs=
    if [ ${#programs[@]} -gt 0 ]; then
        needs_no_swift_runtime "${programs[@]}"
        module_shlibs=$(shlibs_of webmin-bam "${programs[@]}")
    fi
    finish_package webmin-bam "$module_shlibs"
fi

# --- Checks -----------------------------------------------------------------
if [ "${BAM_DEB_LINTIAN:-1}" = 1 ]; then
    command -v lintian >/dev/null || { echo "build-debs: lintian is missing (run scripts/install-deps.sh)" >&2; exit 1; }
    debs=()
    for pkg in "${packages[@]}"; do debs+=("$dist/${pkg}_${version}_${arch}.deb"); done
    echo "build-debs: lintian ${debs[*]}"
    lintian --fail-on error "${debs[@]}"
fi
