# frozen_string_literal: true

require 'time'
LAZY_NAME = 'lazy'
