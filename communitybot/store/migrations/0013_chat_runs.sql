-- Running a chat: question scripts, each occurrence's run, and its recorded messages.
-- Reserved; the chat-running change fills it in.
SELECT 1;
