/**
 * The catalog providers' OAuth scope ids in plain words, for the people
 * whose accounts they open. An id not listed is shown as it is.
 */
const PHRASES: Readonly<Record<string, string>> = {
  // Google (Gmail, Drive, Calendar, sign-in)
  "openid": "Confirm who you are",
  "email": "See your email address",
  "profile": "See your name and picture",
  "https://www.googleapis.com/auth/gmail.readonly": "Read your email",
  "https://www.googleapis.com/auth/gmail.send": "Send email as you",
  "https://www.googleapis.com/auth/gmail.compose": "Write drafts and send email as you",
  "https://www.googleapis.com/auth/gmail.modify": "Read, change and organise your email",
  "https://www.googleapis.com/auth/gmail.labels": "Manage your email labels",
  "https://www.googleapis.com/auth/gmail.metadata": "See email headers and labels, not the text",
  "https://mail.google.com/": "Full access to your email",
  "https://www.googleapis.com/auth/drive": "See, change and delete all your Drive files",
  "https://www.googleapis.com/auth/drive.readonly": "See and download your Drive files",
  "https://www.googleapis.com/auth/drive.file":
    "Only the Drive files you open or create with the app",
  "https://www.googleapis.com/auth/drive.metadata.readonly":
    "See the names and details of your Drive files",
  "https://www.googleapis.com/auth/calendar": "See and change your calendars",
  "https://www.googleapis.com/auth/calendar.readonly": "See your calendars",
  "https://www.googleapis.com/auth/calendar.events": "See and change your calendar events",
  // Microsoft 365
  "offline_access": "Stay connected when you are away",
  "User.Read": "See your profile",
  "Mail.Read": "Read your email",
  "Mail.ReadWrite": "Read and change your email",
  "Mail.Send": "Send email as you",
  "Files.Read": "See your OneDrive files",
  "Files.Read.All": "See all files you can open",
  "Files.ReadWrite": "See and change your OneDrive files",
  "Files.ReadWrite.All": "See and change all files you can open",
  "Calendars.Read": "See your calendars",
  "Calendars.ReadWrite": "See and change your calendars",
  // Slack
  "users:read": "See people in your workspace",
  "channels:read": "See your public channels",
  "channels:history": "Read messages in public channels",
  "groups:history": "Read messages in private channels",
  "im:history": "Read your direct messages",
  "chat:write": "Post messages as you",
  "search:read": "Search your workspace",
  // GitHub
  "read:user": "See your profile",
  "user:email": "See your email addresses",
  "repo": "Read and write your repositories, private ones too",
  "public_repo": "Read and write your public repositories",
  "read:org": "See your organisations",
  // GitLab
  "read_user": "See your profile",
  "read_api": "Read your projects and groups",
  "api": "Full access to your projects and groups",
  "read_repository": "Read your repositories",
  // Atlassian
  "read:jira-work": "Read Jira issues",
  "write:jira-work": "Create and change Jira issues",
  "read:jira-user": "See Jira users",
  "read:confluence-content.all": "Read Confluence pages",
  // Dropbox
  "account_info.read": "See your account details",
  "files.metadata.read": "See the names and details of your files",
  "files.content.read": "Read your files",
  "files.content.write": "Change your files",
  // Linear
  "read": "Read your data",
  "write": "Change your data",
};

/** A scope in plain words; the id itself when there is no phrase for it. */
export function scopePhrase(scope: string): string {
  return PHRASES[scope] ?? scope;
}

/** Plain phrases for a connection's scopes, each once, in the order first seen. */
export function scopePhrases(scopes: readonly string[]): string[] {
  return [...new Set(scopes.map(scopePhrase))];
}
