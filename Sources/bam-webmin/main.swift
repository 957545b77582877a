import BamWebmin

// One multi-call binary: every page's *.cgi in the module runs this program,
// which picks the page from the name it was started as (SCRIPT_FILENAME/argv[0]).
// Started with --run-job DIR by a page, it is that page's detached job.
JobRunner.runIfAsked(CommandLine.arguments)
CGIMain.run()
