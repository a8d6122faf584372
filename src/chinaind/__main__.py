from chinaind.cli.launch import main

main()
