from mailflow.cli.app import main

main()
