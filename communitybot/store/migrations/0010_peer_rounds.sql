-- Peer rounds (Donut-style pairing by shared interests). Reserved; the rounds change fills it in.
SELECT 1;
