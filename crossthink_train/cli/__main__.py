from crossthink_train.cli import main

main()
