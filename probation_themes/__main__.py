from probation_themes.cli import main

main()
