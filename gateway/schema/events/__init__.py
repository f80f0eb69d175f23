"""What happened, told to partners: the event feed, and the webhook endpoints that push it."""
