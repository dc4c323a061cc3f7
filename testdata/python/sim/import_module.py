"""importlib.import_module targets get no line of their own (A.3)."""
import importlib

importlib.import_module("json")
importlib.import_module("csv")
importlib.import_module("email.mime.text")
