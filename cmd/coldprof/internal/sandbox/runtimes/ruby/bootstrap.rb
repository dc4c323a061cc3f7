# frozen_string_literal: true

# coldprof's Ruby runtime client for `coldprof run --runtime ruby`: the
# counterpart of Lambda's Ruby runtime entry script. Everything lives in
# coldprof_runtime.rb so its own requires (net/http, json) nest under it and
# the require hook names them as the runtime's (/var/runtime/…).
require_relative 'coldprof_runtime'
ColdprofRuntime.main
