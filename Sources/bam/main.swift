import BamCLI

Bam.main()
