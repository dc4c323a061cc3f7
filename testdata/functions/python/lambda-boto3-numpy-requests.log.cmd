# Produced from the repository root on Debian 12 (CPython 3.11 with
# python3-boto3, python3-numpy, python3-requests); the log is what
# coldprof run captured: the wrapper's markers, -X importtime output, and the
# emulator's INIT_START/START/END/REPORT lines, in the order they happened.
go run ./cmd/coldprof run --handler app.lambda_handler --runtime python3 --python /usr/bin/python3 --task-root testdata/functions/python -n 3 --log testdata/functions/python/lambda-boto3-numpy-requests.log
