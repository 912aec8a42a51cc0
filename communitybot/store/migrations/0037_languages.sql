-- Speaking the member's language (issue #17): a member's own choice, a community's default
-- language for its channels, and the languages its onboarding offers (comma-separated codes;
-- a question about the language is asked when it offers more than one). NULL means "not
-- chosen": the next rule in `communitybot.i18n.choice` decides.
ALTER TABLE members ADD COLUMN language TEXT;
ALTER TABLE communities ADD COLUMN language TEXT;
ALTER TABLE communities ADD COLUMN languages TEXT;
