"""Recurring topic chats: scheduling, reminders, running the hour, recaps and transcripts."""
