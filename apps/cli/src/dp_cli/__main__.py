from dp_cli.main import cli

cli()
