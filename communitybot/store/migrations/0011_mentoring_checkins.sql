-- Mentoring check-in answers and continuous matching. Reserved; the mentoring change fills it in.
SELECT 1;
