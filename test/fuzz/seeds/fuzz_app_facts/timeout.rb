# Our own rack-timeout settings (upstream hard-codes them): raise them with
# heroku config:set SERVICE_TIMEOUT=... when media uploads are slow.
Rack::Timeout::Logger.disable
Rack::Timeout.service_timeout = ENV.fetch('SERVICE_TIMEOUT') { 90 }.to_i
Rack::Timeout.wait_timeout = ENV.fetch('WAIT_TIMEOUT') { 90 }.to_i
