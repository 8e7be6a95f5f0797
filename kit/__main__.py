from kit.cli.main import app

app()
