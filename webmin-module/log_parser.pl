# log_parser.pl: describes bam's entries in Webmin's actions log.
do 'bam-lib.pl';

# parse_webmin_log(user, script, action, type, object, &params)
sub parse_webmin_log
{
my ($user, $script, $action, $type, $object, $p) = @_;
my $msg = $text{'log_'.$action};
return undef if (!defined($msg));
$msg =~ s/\$1/&html_escape($object)/ge;
return $msg;
}
1;
