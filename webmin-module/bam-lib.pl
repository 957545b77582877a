# bam-lib.pl: Webmin's help and ACL pages load a module library; bam's
# pages are compiled programs, so this only sets the module up for them.
BEGIN { push(@INC, ".."); };
use WebminCore;
&init_config();
1;
