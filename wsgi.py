from irflow import create_app

app = create_app()
