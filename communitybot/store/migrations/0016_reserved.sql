-- Placeholder on the `matching` branch only: 0016 belongs to another branch of the same issue
-- work, and migrations must be numbered without gaps. Delete this file when merging.
SELECT 1;
