# acl_security.pl: the per-user rights of the bam module in Webmin Users.
do 'bam-lib.pl';

# acl_security_form(&acl)
sub acl_security_form
{
my ($o) = @_;
foreach my $k ('backup', 'restore', 'configure', 'escrow') {
	print &ui_table_row($text{'acl_'.$k}, &ui_yesno_radio($k, $o->{$k} ? 1 : 0));
	}
}

# acl_security_save(&acl, &in)
sub acl_security_save
{
my ($o, $in) = @_;
foreach my $k ('backup', 'restore', 'configure', 'escrow') {
	$o->{$k} = $in->{$k} ? 1 : 0;
	}
}
1;
