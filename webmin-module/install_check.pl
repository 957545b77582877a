# install_check.pl: tells Webmin whether the bam program is installed.
do 'bam-lib.pl';

# is_installed(mode): 0 = not installed, 1 = installed (2 = configured).
sub is_installed
{
return -x $config{'bam_path'} ? 2 : 0;
}
