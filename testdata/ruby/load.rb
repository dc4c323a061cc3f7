# frozen_string_literal: true

# Loads a realistic tree of Ruby's standard library (what web-facing
# functions pull in) and prints how long the requires took,
# "<wall µs> <cpu µs>" (monotonic clock; process CPU time), on stdout.
start = Process.clock_gettime(Process::CLOCK_MONOTONIC, :microsecond)
cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID, :microsecond)
%w[json net/http uri openssl yaml erb logger time csv set securerandom digest base64 fileutils tempfile optparse].each do |lib|
  require lib
end
puts "#{Process.clock_gettime(Process::CLOCK_MONOTONIC, :microsecond) - start} " \
     "#{Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID, :microsecond) - cpu}"
