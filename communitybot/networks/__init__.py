"""Networks of affiliate communities: `network create|invite|join|leave|show|stewards`."""
