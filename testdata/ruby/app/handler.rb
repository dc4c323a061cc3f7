# frozen_string_literal: true

# A Ruby Lambda handler: stdlib requires, nested require_relative, a cached
# require, a file that raises, and a lazy require inside the handler.
require 'json'
require_relative 'lib/a'
require_relative 'lib/a' # cached: not timed again
begin
  require_relative 'lib/raises'
rescue RuntimeError => e
  RAISED = e.message
end

def handler(event:, context:)
  require_relative 'lib/lazy'
  { a: A_NAME, raised: RAISED, lazy: LAZY_NAME, event: event }
end
