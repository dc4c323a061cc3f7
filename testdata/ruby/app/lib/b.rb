# frozen_string_literal: true

require 'set'
B_NAME = 'b'
