from dp_cli.main import app

app()
