#!/bin/sh
# Attach the coldprof layer to a Lambda function and turn the wrapper on,
# keeping everything else the function has.
#
# Usage: sh attach.sh FUNCTION_NAME LAYER_VERSION_ARN
#
# Needs the AWS CLI (v1 or v2) and jq. Publish the layer first, in the
# function's region and for its architecture:
#
#   coldprof layer build -o dist
#   aws lambda publish-layer-version --layer-name coldprof-x86_64 \
#     --compatible-architectures x86_64 \
#     --zip-file fileb://dist/coldprof-layer-x86_64.zip \
#     --query LayerVersionArn --output text
#
# Why not one call with --environment Variables={AWS_LAMBDA_EXEC_WRAPPER=…}?
# `aws lambda update-function-configuration --environment` REPLACES ALL of the
# function's variables, and --layers replaces all of its layers. The safe way
# is what this script does: read the current configuration, merge, and write
# it back with --revision-id, so Lambda refuses the update (PreconditionFailed)
# if someone changed the function in between instead of losing their change.
#
# If the function already has a wrapper (OpenTelemetry /opt/otel-instrument,
# Datadog /opt/datadog_wrapper, Lambda Web Adapter /opt/bootstrap, …) its path
# moves to COLDPROF_NEXT_WRAPPER and coldprof-wrapper runs it next; keep that
# vendor's layer attached.
#
# The configuration as it was is saved to coldprof-before-FUNCTION_NAME.json;
# to undo, write its Layers and Environment back:
#
#   aws lambda update-function-configuration --function-name FUNCTION_NAME \
#     --layers "$(jq -c '[(.Layers // [])[].Arn]' coldprof-before-FUNCTION_NAME.json)" \
#     --environment "$(jq -c '{Variables: (.Environment.Variables // {})}' coldprof-before-FUNCTION_NAME.json)"
set -eu

if [ $# -ne 2 ]; then
	echo "usage: sh attach.sh FUNCTION_NAME LAYER_VERSION_ARN" >&2
	exit 2
fi
fn=$1
layer=$2
wrapper=/opt/coldprof-wrapper
before=coldprof-before-$fn.json

aws lambda get-function-configuration --function-name "$fn" --output json >"$before"

# Refuse where the wrapper would be ignored or its output dropped.
problem=$(jq -r '
	if (.PackageType // "Zip") == "Image" then
		"a container image function: the image entrypoint decides whether AWS_LAMBDA_EXEC_WRAPPER is honoured (AWS base images do); add coldprof-wrapper to the image instead"
	elif (.Runtime // "" | startswith("provided")) then
		"runtime \(.Runtime) ignores AWS_LAMBDA_EXEC_WRAPPER (only managed language runtimes honour it)"
	elif .Environment.Error != null then
		"Lambda could not return its environment variables (\(.Environment.Error.ErrorCode)), and writing the environment without them would erase them; fix that first (often KMS permissions)"
	elif (.LoggingConfig.LogFormat // "Text") == "JSON" and ((.LoggingConfig.ApplicationLogLevel // "INFO") | IN("WARN", "ERROR", "FATAL")) then
		"JSON log format with application log level \(.LoggingConfig.ApplicationLogLevel): Lambda drops plain-text lines (treated as INFO), so the import timings would be lost; set the level to INFO or the log format to Text"
	else "" end' "$before")
if [ -n "$problem" ]; then
	echo "attach.sh: $fn: $problem" >&2
	exit 1
fi

# Every variable kept as it is; a different wrapper moves to
# COLDPROF_NEXT_WRAPPER; ours goes into AWS_LAMBDA_EXEC_WRAPPER.
environment=$(jq -c --arg w "$wrapper" '
	(.Environment.Variables // {}) as $v
	| ($v.AWS_LAMBDA_EXEC_WRAPPER // "") as $old
	| {Variables: ($v
		+ (if $old != "" and $old != $w then {COLDPROF_NEXT_WRAPPER: $old} else {} end)
		+ {AWS_LAMBDA_EXEC_WRAPPER: $w})}' "$before")

# Every layer kept in its order; an older version of the same layer is
# replaced where it stands, otherwise the layer goes last.
layers=$(jq -c --arg l "$layer" '
	($l | split(":")[6]) as $name
	| [(.Layers // [])[].Arn] as $old
	| if any($old[]; split(":")[6] == $name)
	  then [$old[] | if split(":")[6] == $name then $l else . end]
	  else $old + [$l] end' "$before")

revision=$(jq -r '.RevisionId' "$before")

aws lambda update-function-configuration --function-name "$fn" \
	--revision-id "$revision" \
	--layers "$layers" \
	--environment "$environment" \
	--output json >/dev/null
aws lambda wait function-updated --function-name "$fn"
echo "coldprof attached to $fn (previous configuration saved in $before)" >&2
