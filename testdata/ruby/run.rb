# frozen_string_literal: true

# Loads app/handler.rb the way Lambda's Ruby runtime does (require of the
# handler file), calls the handler once and prints the result as JSON.
require File.join(ENV.fetch('LAMBDA_TASK_ROOT'), 'handler')
puts JSON.generate(handler(event: { 'hello' => 'world' }, context: nil))
