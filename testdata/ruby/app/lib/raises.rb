# frozen_string_literal: true

require_relative 'b'
raise 'file failed on purpose'
