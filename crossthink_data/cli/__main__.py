from crossthink_data.cli import main

main()
