# A Python function profiled by coldprof, deployed with Terraform.
#
#   coldprof layer build -o dist        # next to this file: dist/coldprof-layer-x86_64.zip
#   terraform init && terraform apply
#
# For arm64, set var.architecture = "arm64" (the layer zip follows it).
#
# The environment: Terraform owns the function's whole environment; variables
# set elsewhere are removed on the next apply, so add them to the map below.
# Never add the wrapper variable with
# `aws lambda update-function-configuration --environment …`: that call
# REPLACES ALL of the function's variables. For functions Terraform does not
# manage, use the read-merge-write script layer/examples/cli/attach.sh.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.0"
    }
  }
}

variable "function_name" {
  type    = string
  default = "coldprof-demo"
}

variable "architecture" {
  type    = string
  default = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "Lambda offers x86_64 and arm64."
  }
}

resource "aws_lambda_layer_version" "coldprof" {
  layer_name               = "coldprof-${var.architecture}"
  description              = "coldprof wrapper (${var.architecture})"
  filename                 = "${path.module}/dist/coldprof-layer-${var.architecture}.zip"
  source_code_hash         = filebase64sha256("${path.module}/dist/coldprof-layer-${var.architecture}.zip")
  compatible_architectures = [var.architecture]
}

data "archive_file" "function" {
  type        = "zip"
  output_path = "${path.module}/build/function.zip"

  source {
    filename = "index.py"
    content  = <<-PY
      import json
      import urllib.request  # global scope: coldprof's "init" phase


      def lambda_handler(event, context):
          import decimal  # first invocation: the "invoke" phase

          return {"statusCode": 200, "body": json.dumps({"answer": str(decimal.Decimal(42))})}
    PY
  }
}

resource "aws_iam_role" "function" {
  name = "${var.function_name}-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "logs" {
  role       = aws_iam_role.function.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_lambda_function" "function" {
  function_name    = var.function_name
  role             = aws_iam_role.function.arn
  runtime          = "python3.12"
  handler          = "index.lambda_handler"
  memory_size      = 512
  timeout          = 10
  architectures    = [var.architecture]
  filename         = data.archive_file.function.output_path
  source_code_hash = data.archive_file.function.output_base64sha256

  # Keep any other layers your function has, in their order.
  layers = [aws_lambda_layer_version.coldprof.arn]

  environment {
    variables = {
      AWS_LAMBDA_EXEC_WRAPPER = "/opt/coldprof-wrapper"
      # Already using another wrapper (OpenTelemetry /opt/otel-instrument,
      # Datadog /opt/datadog_wrapper, Lambda Web Adapter /opt/bootstrap)?
      # Keep its layer, and move its path here; coldprof runs it next:
      # COLDPROF_NEXT_WRAPPER = "/opt/otel-instrument"
    }
  }

  depends_on = [aws_iam_role_policy_attachment.logs]
}

output "layer_version_arn" {
  value = aws_lambda_layer_version.coldprof.arn
}

output "log_group" {
  value = "/aws/lambda/${aws_lambda_function.function.function_name}"
}
