# frozen_string_literal: true

require_relative 'b'
x = 0
200_000.times { |i| x += i } # some self time
A_NAME = "a+#{B_NAME}"
