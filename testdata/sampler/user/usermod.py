VALUE = "from the user's PYTHONPATH"
