# frozen_string_literal: true

require 'json'
require 'net/http'

# ColdprofRuntime loads the handler the way Lambda's Ruby runtime does
# (_HANDLER "path/file.method" or "path/file.Module::Class.method", the file
# required from LAMBDA_TASK_ROOT) and loops on the Runtime API: GET next,
# call handler(event:, context:), POST the response or the error.
module ColdprofRuntime
  BASE = '/2018-06-01/runtime'

  # Context carries the attributes Lambda's Ruby context has.
  class Context
    attr_reader :aws_request_id, :invoked_function_arn, :function_name, :function_version,
                :memory_limit_in_mb, :log_group_name, :log_stream_name

    def initialize(headers)
      @aws_request_id = headers['lambda-runtime-aws-request-id']
      @invoked_function_arn = headers['lambda-runtime-invoked-function-arn']
      @deadline_ms = headers['lambda-runtime-deadline-ms'].to_i
      @function_name = ENV['AWS_LAMBDA_FUNCTION_NAME']
      @function_version = ENV['AWS_LAMBDA_FUNCTION_VERSION']
      @memory_limit_in_mb = ENV['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']
      @log_group_name = ENV['AWS_LAMBDA_LOG_GROUP_NAME']
      @log_stream_name = ENV['AWS_LAMBDA_LOG_STREAM_NAME']
    end

    def get_remaining_time_in_millis
      [@deadline_ms - (Time.now.to_f * 1000).to_i, 0].max
    end
  end

  module_function

  def http
    @http ||= begin
      host, port = ENV.fetch('AWS_LAMBDA_RUNTIME_API').split(':')
      h = Net::HTTP.new(host, port.to_i)
      h.read_timeout = nil # next long-polls
      h.start
    end
  end

  def post(path, body, headers = {})
    http.post(path, body, { 'Content-Type' => 'application/json' }.merge(headers))
  end

  def error_body(err)
    JSON.generate(errorType: err.class.name, errorMessage: err.message, stackTrace: err.backtrace || [])
  end

  def load_handler
    spec = ENV.fetch('_HANDLER', '')
    file, dot, method = spec.rpartition('.')
    raise ArgumentError, "Bad handler #{spec}" if dot.empty? || file.empty?

    owner = nil
    if file.include?('.')
      # file.Module::Class.method
      file, _, klass = file.partition('.')
      require File.join(ENV.fetch('LAMBDA_TASK_ROOT', Dir.pwd), file)
      owner = Object.const_get(klass)
    else
      require File.join(ENV.fetch('LAMBDA_TASK_ROOT', Dir.pwd), file)
    end
    return ->(event, context) { owner.public_send(method, event: event, context: context) } if owner

    ->(event, context) { Object.send(method, event: event, context: context) }
  end

  def main
    handler = begin
      load_handler
    rescue Exception => e # rubocop:disable Lint/RescueException
      warn "#{e.class}: #{e.message}"
      post("#{BASE}/init/error", error_body(e), 'Lambda-Runtime-Function-Error-Type' => "Init<#{e.class}>")
      exit 1
    end
    loop do
      res = http.get("#{BASE}/invocation/next")
      id = res['lambda-runtime-aws-request-id']
      headers = res.each_header.to_h
      begin
        event = JSON.parse(res.body.to_s.empty? ? 'null' : res.body)
        result = handler.call(event, Context.new(headers))
        post("#{BASE}/invocation/#{id}/response", JSON.generate(result))
      rescue StandardError, ScriptError => e
        warn "#{e.class}: #{e.message}"
        post("#{BASE}/invocation/#{id}/error", error_body(e), 'Lambda-Runtime-Function-Error-Type' => "Function<#{e.class}>")
      end
    end
  end
end
