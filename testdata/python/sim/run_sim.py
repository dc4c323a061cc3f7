"""Entry script of the simulated Lambda runtime used to generate test logs.

Like Lambda's /var/runtime/bootstrap.py it only imports the runtime client
("import bootstrap" here), so the runtime's own imports nest under one
top-level "bootstrap" line, and then hands over to it.
"""
import bootstrap

bootstrap.main()
