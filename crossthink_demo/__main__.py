from crossthink_demo.cli import main

main()
