/// The Debian core path list of the original's profiles (`core.conf` in
/// turnkeylinux/tklbam-profiles), embedded verbatim: `ProfileCreator` writes
/// it as the `dirindex.conf` of a profile made from a pristine root.
enum CoreDirIndexConf {
    static let text = #"""
        ## This is the base profile which all app-specific profiles inherit from
        ## See README.rst for details

        # data
        /opt
        /srv
        /home

        /root
        -/root/.cache # duplicity caches by default here

        # system minus instance-specific stuff
        /usr/local

        /etc
        -/etc/default/grub
        -/etc/grub.d
        -/etc/debian_version
        -/etc/turnkey_version
        -/etc/ld.so.cache
        -/etc/apt
        -/etc/resolv.conf
        -/etc/resolvconf
        -/etc/network/interfaces
        -/etc/passwd*
        -/etc/group*
        -/etc/hostname
        -/etc/fstab
        -/etc/mtab
        -/etc/udev/rules.d
        -/etc/ssh/ssh_host_*
        -/etc/mysql/debian.cnf
        -/etc/webmin/system-status/history

        # live-boot dirs - di-live & live-tools removed at install for v16.0
        -/etc/init.d/di-live
        -/etc/init.d/live-tools
        -/etc/live
        -/etc/rc0.d/K01di-live
        -/etc/rc0.d/K01live-tools
        -/etc/rc6.d/K01di-live
        -/etc/rc6.d/K01live-tools
        -/etc/rcS.d/S01di-live
        -/etc/rcS.d/S01live-tools
        -/etc/systemd/system/live-tools.service
        -/etc/systemd/system/rescue.service.d
        -/etc/systemd/system/rescue.service.d/override.conf
        -/etc/systemd/system/rescue.target.d
        -/etc/systemd/system/rescue.target.d/override.conf
        -/etc/systemd/system/rescue.target.wants
        -/etc/systemd/system/rescue.target.wants/di-live.service

        # ec2 blacklist
        -/etc/event.d/console
        -/usr/local/bin/ec2metadata
        -/usr/local/lib/python2.6/dist-packages/ec2metadata.py*

        # vmdk blacklist
        -/etc/kernel-img.conf

        # /var whitelist
        /var/run
        -/var/run/*.pid
        -/var/run/*/*.pid

        /var/www
        /var/lib/shellinabox # in case you reconfigure the certificate
        /var/spool
        -/var/spool/postfix/lib
        -/var/spool/postfix/private
        -/var/spool/postfix/public
        -/var/spool/postfix/pid
        -/var/spool/postfix/dev

        -/var/spool/tklbam-squid

        # dehydrated data for SSL certs
        /var/lib/dehydrated

        """#
}
