# frozen_string_literal: true

# Persistent connections to other servers, shared by the threads of a process.
class RequestPool
  # How long a thread waits for a free connection; a constant, not the
  # environment's WAIT_TIMEOUT.
  WAIT_TIMEOUT = 5
  MAX_IDLE_TIME = 30

  def initialize
    @pool = ConnectionPool.new(size: MAX_POOL_SIZE, timeout: WAIT_TIMEOUT)
    Rails.logger.debug "RequestPool: ENV['SERVICE_TIMEOUT'] is not read here"
  end
end
