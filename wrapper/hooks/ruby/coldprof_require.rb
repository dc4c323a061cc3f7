# frozen_string_literal: true

# coldprof require hook for Ruby, loaded with RUBYOPT="-r<this file>".
#
# It times every Kernel#require and Kernel#require_relative that loads a file
# (nested) with the monotonic clock, and writes one line per loaded file to
# stderr when that load finishes, post-order like CPython's -X importtime:
#
#   ruby require: self [us] | cumulative | required file
#   ruby require:       210 |        455 |   json/common
#
# Format: "ruby require: %9d | %10d | <2*depth spaces><name>". self = cumulative
# minus the cumulative of the timed loads nested in it. Lines are written with
# IO#syswrite on a dup of fd 2, so they land in order with the wrapper's markers.
#
# Names: a file inside a gem is "<gem name>/<path inside the gem>"
# (aws-sdk-core/lib/seahorse.rb); Ruby's standard library keeps the name it was
# required by (json, net/http); files under LAMBDA_TASK_ROOT (or the current
# directory) are relative to it; files under LAMBDA_RUNTIME_DIR (the runtime
# client's) are /var/runtime/<path>; anything else is the absolute path.
#
# Kernel#load is timed too, every time it runs a file. Not timed: requires
# that return false (already loaded), a LoadError for the file itself (not
# found), autoload (timed only through the require it performs); requires in
# other threads nest within their own thread only.
#
# The hook never breaks the program: every internal step is rescued and the
# original require always runs exactly once with the original argument.
module ColdprofRequireHook
  PREFIX = 'ruby require: '
  STACK_KEY = :__coldprof_require_stack

  class << self
    attr_reader :out

    def install
      return if defined?(@installed) && @installed

      @installed = true
      @out = IO.new(2, 'w', autoclose: false)
      @out.sync = true
      @task_root = with_slash(ENV['LAMBDA_TASK_ROOT'])
      @runtime_dir = with_slash(ENV['LAMBDA_RUNTIME_DIR'])
      @cwd = with_slash(Dir.pwd) rescue ''
      @stdlib_dirs = stdlib_dirs
      write("#{PREFIX}self [us] | cumulative | required file\n")
      forget_env
      Kernel.prepend(KernelHook)
    rescue StandardError
      nil
    end

    # forget_env takes the hook back out of RUBYOPT and RUBYLIB, so that ruby
    # processes the function starts do not load it and print their own lines
    # into this process's log; the function sees them as the user set them.
    def forget_env
      opt = ENV['RUBYOPT']
      if opt&.split&.include?('-rcoldprof_require')
        rest = opt.split.reject { |o| o == '-rcoldprof_require' }.join(' ')
        rest.empty? ? ENV.delete('RUBYOPT') : ENV['RUBYOPT'] = rest
      end
      lib = ENV['RUBYLIB']
      dir = File.dirname(__FILE__)
      if lib&.split(':')&.include?(dir)
        rest = lib.split(':').reject { |d| d == dir }.join(':')
        rest.empty? ? ENV.delete('RUBYLIB') : ENV['RUBYLIB'] = rest
      end
    rescue StandardError
      nil
    end

    def with_slash(dir)
      return '' if dir.nil? || dir.empty?

      dir.end_with?('/') ? dir : "#{dir}/"
    end

    def stdlib_dirs
      require 'rbconfig'
      %w[rubylibdir rubyarchdir vendorlibdir vendorarchdir sitelibdir sitearchdir].filter_map do |key|
        dir = RbConfig::CONFIG[key]
        with_slash(dir) unless dir.nil? || dir.empty?
      end
    rescue StandardError, LoadError
      []
    end

    def now
      Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
    end

    def write(text)
      @out.syswrite(text)
    rescue StandardError
      nil # stderr gone: drop the line
    end

    def stack
      Thread.current[STACK_KEY] ||= []
    end

    # display_name turns the loaded file into the name a user thinks of.
    def display_name(feature, path)
      feature = feature.to_s
      return feature if path.nil?

      path = path.to_s
      if (m = %r{/gems/([^/]+?)-\d[^/]*/(.+)\z}.match(path))
        return "#{m[1]}/#{m[2]}"
      end
      return path.delete_prefix(@task_root) if !@task_root.empty? && path.start_with?(@task_root)
      # The runtime client's files are /var/runtime/… as on Lambda, also when
      # coldprof run puts its runtime client elsewhere.
      return "/var/runtime/#{path.delete_prefix(@runtime_dir)}" if !@runtime_dir.empty? && path.start_with?(@runtime_dir)
      lib = @stdlib_dirs.find { |dir| path.start_with?(dir) }
      return stdlib_name(feature, path, lib) unless lib.nil?
      return path.delete_prefix(@cwd) if !@cwd.empty? && path.start_with?(@cwd)

      path
    end

    # load_path is the file Kernel#load ran, when it can be told cheaply (load
    # adds nothing to $LOADED_FEATURES).
    def load_path(file)
      File.file?(file) ? File.expand_path(file) : nil
    rescue StandardError
      nil
    end

    def raised_path(feature)
      return nil unless feature.start_with?('/')
      return feature unless File.extname(feature).empty?

      File.file?("#{feature}.rb") ? "#{feature}.rb" : feature
    end

    # stdlib_name is the name a standard-library file is required by:
    # as written, or derived from its path for require_relative.
    def stdlib_name(feature, path, lib)
      return feature unless feature.start_with?('/')

      path.delete_prefix(lib).sub(/\.(rb|so|bundle)\z/, '')
    end

    def line(self_us, cum_us, depth, name)
      format("%s%9d | %10d | %s%s\n", PREFIX, self_us, cum_us, '  ' * depth, name)
    end

    # timed runs the block (the original require) and reports it when it
    # loaded something. The block's result or exception is passed on as is.
    def timed(feature, load: false)
      frame = nil
      begin
        frame = [now, 0]
        stack.push(frame)
      rescue StandardError
        frame = nil
      end
      return yield if frame.nil?

      loaded = false
      raised = false
      begin
        result = yield
        loaded = result ? true : false
        result
      rescue LoadError => e
        loaded = e.path.nil? || e.path != feature.to_s
        raised = true
        raise
      rescue Exception # rubocop:disable Lint/RescueException
        loaded = true # the file loaded and raised: its time was spent
        raised = true
        raise
      ensure
        finish(frame, feature, loaded, raised, load)
      end
    end

    def finish(frame, feature, loaded, raised, load)
      finish_ns = now
      frames = stack
      at = frames.rindex { |f| f.equal?(frame) }
      return if at.nil?

      frames.slice!(at..)
      return unless loaded

      cum_ns = finish_ns - frame[0]
      frames.last[1] += cum_ns unless frames.empty?
      self_ns = cum_ns - frame[1]
      self_ns = 0 if self_ns.negative?
      # A file that raised is not in $LOADED_FEATURES; its path is known only
      # when it was required by one (require_relative always is).
      path = if load
               load_path(feature.to_s)
             elsif raised
               raised_path(feature.to_s)
             else
               $LOADED_FEATURES.last
             end
      name = display_name(feature, path)
      write(line(self_ns / 1000, cum_ns / 1000, frames.length, name))
    rescue StandardError
      nil # a lost line, never a lost file
    end
  end

  # KernelHook is prepended to Kernel: require goes through it first.
  module KernelHook
    private

    def require(feature)
      ColdprofRequireHook.timed(feature) { super }
    end

    # load runs a file every time (no cache); each run is timed.
    def load(file, wrap = false) # rubocop:disable Style/OptionalBooleanParameter
      ColdprofRequireHook.timed(file, load: true) { super }
    end

    # require_relative resolves against the caller's file; from here the
    # caller would be this hook, so resolve as Ruby does and require the
    # absolute path.
    def require_relative(feature)
      loc = caller_locations(1, 1)&.first
      base = loc&.absolute_path
      if base.nil?
        raise LoadError, 'cannot infer basepath' # what Ruby raises from eval'd code
      end

      require(File.expand_path(feature.to_s, File.dirname(base)))
    end
  end
end

begin
  ColdprofRequireHook.install
rescue StandardError, ScriptError
  nil # a -r file that raises would stop ruby: never
end
