# Every word the bot says, in English (the fallback for any language without a file).
# Copy is short and plain, says what happened and what to do next, and never repeats anything the follower sent.
# Values passed in are already escaped for Telegram's HTML.

## Shared pieces

key-label = “{ $name }” (<code>{ $masked }</code>)
api-management-link = <a href="{ $url }">API Management</a>
then-send-resend = then send it to me again, or /cancel. The public key I gave you still works.
then-send-resend-hmac = then send me the key and secret again, or /cancel.
then-send-command = then send /{ $command }.
permissions-none = none
amount-unknown = —

## Permissions as Bybit's API key dialog names them

perm-group-ContractTrade = Contracts
perm-group-Spot = SPOT
perm-group-Wallet = Wallet
perm-group-Options = USDC Contracts
perm-group-Derivatives = Unified Trading
perm-group-Exchange = Exchange
perm-group-Earn = Earn
perm-group-CopyTrading = Copy Trading
perm-group-BlockTrade = Block Trade
perm-group-NFT = NFT
perm-group-Affiliate = Affiliate
perm-Order = Orders
perm-Position = Positions
perm-SpotTrade = Trade
perm-OptionsTrade = Trade
perm-DerivativesTrade = Trade
perm-AccountTransfer = Account Transfer
perm-SubMemberTransfer = Subaccount Transfer
perm-SubMemberTransferList = Subaccount Transfer
perm-Withdraw = Withdrawal
perm-ExchangeHistory = Exchange History
perm-Earn = Earn
perm-CopyTrading = Copy Trading
perm-NFTQueryProductList = Product List
perm-Affiliate = Affiliate

## Commands (the menu)

command-start = What this bot does, and the next step
command-help = Every command and what it is for
command-connect = Connect your Bybit API key
command-status = Your key, its expiry and reminders
command-rotate = Replace your key with a new one
command-disconnect = Remove your key from this service
command-panic = Key leaked? Stop it now and revoke it
command-forget = Delete your key, its reminders and history
command-cancel = Stop what we are doing

## First contact and help

start-intro =
    👋 I connect your Bybit account to the copy-trading service, with a key that can trade but never withdraw. I keep it sealed and remind you to replace it every { $days } days.
    A leak? /panic stops it at once. /status shows your key.
start-next-connect = First turn on 2FA in Bybit: it asks for it to make a key. Then tap the button.
start-connect-button = Connect my Bybit key
start-next-connected = Your key { $key } is connected. Send /status to see it, or /help for every command.
help =
    <b>What I can do</b>
    /connect – connect your Bybit API key (2FA must be on in Bybit)
    /status – your key, its expiry and reminders
    /rotate – replace your key with a new one
    /disconnect – remove your key from this service (open positions stay open)
    /panic – a key leaked? Freeze it now and revoke it
    /forget – delete your key, its reminders and history
    /cancel – stop what we are doing
    /help – this list
chatter = I only understand commands. To start copying, send /connect; /help lists everything I can do.
chatter-in-flow = We’re in the middle of connecting your key, and I’m waiting for what Bybit shows you (see the steps above). Send /connect to see the steps again, /cancel to stop, or /help for every command.

## General

cancelled = Cancelled. Nothing was stored.
flow-ended-by-command = First I stopped connecting a key.
cancelled-key-stays = Cancelled. Your key { $key } stays connected.
nothing-to-cancel = There is nothing to cancel.
cancel-button = Cancel
loose-credential = It looked like an API key or secret. If that key is connected here and may have leaked, send /panic. To connect a key, send /connect.
flow-expired = The key connection had expired: I waited { $minutes } minutes for the next step, so I stopped and stored nothing. Send /connect to start again.
flow-expired-public-key = The key connection had expired: I waited { $minutes } minutes for the API key, and the public key I gave you expired with it, so I stored nothing. In Bybit, delete the key you made with that public key (API Management → Delete): it can’t be used any more. Then send /connect to start again.
group-keys-only-in-private = Keys go only in a private chat with me: https://t.me/{ $bot }?start=connect
group-deleted-credential = I deleted a message that looked like an API key or secret. If it was real, delete that key in Bybit now: others have seen it. If it is connected to this service, freeze it here: https://t.me/{ $bot }?start=panic
group-deleting-credential = A message here looks like an API key or secret. I am deleting it, though Telegram is slow to let me right now. If it was real, delete that key in Bybit now: others have seen it. If it is connected to this service, freeze it here: https://t.me/{ $bot }?start=panic
button-expired = This button has expired.
key-unreadable = ⚠️ I can no longer open your stored key { $key }, after a change on our side, so nothing trades with it now. Please connect a key again with /connect, then delete the old one in Bybit: API Management → Delete.
slow-down = You’re sending messages faster than I can answer, so I’ll skip the next ones for about { $seconds } seconds. /panic always goes through.
something-went-wrong = Something went wrong on our side, and I can’t tell whether your last step went through. Send /status to see what is stored, then try again if needed.

## Status

status-key = Key { $key }: { $state }
key-site = Site: { $site }
status-permissions = Permissions: { $permissions }
status-kind-rsa = Kind: self-generated (its private key never left our vault)
status-kind-hmac = Kind: system-generated (key and secret)
status-created = Created: { $date }
status-expires-never = Expires: never in Bybit (IP-bound); our limit is { $date } ({ $left }).
status-expires = Expires: { $date } ({ $left }).
status-rotate-inactive = Send /rotate to connect a new key.
status-reminders = Reminders: to replace it on { $rotate }, a week and a day before it expires, and at expiry on { $expiry }.
status-rotation-due = It is time to replace this key: send /rotate. It expires on { $expiry }.
status-active = active ✅
status-expired = expired ⛔
status-frozen = frozen 🧊 (not used for trading): after /panic, or because it changed in Bybit (see my message about it). If it may have leaked, delete it in Bybit
status-deleted = deleted in Bybit ⛔ (not used for trading)
status-unreadable = can’t be opened any more ⚠️ (not used for trading): connect it again with /connect
days-left = { $days ->
    [one] 1 day left
   *[other] { $days } days left
}
days-passed = already passed
no-key = No key is connected. Send /connect to connect your Bybit API key.
last-revoked = Your last key { $key } was frozen with /panic on { $date }.
last-revoked-verified = Bybit confirmed it is deleted.
last-revoked-unverified = I did not check that it is deleted in Bybit: make sure it is.

## Reminders

reminder-rotate = 🔁 Time to replace your key { $key }: it is { $days } days old. It takes two minutes.
reminder-rotate-expires = 🔁 Time to replace your key { $key }: it is { $days } days old and expires on { $date }. It takes two minutes.
reminder-expires-soon = ⏳ Your key { $key } expires { $days ->
    [one] tomorrow, { $date }
   *[other] in { $days } days, on { $date }
}. Replace it now and copying goes on without a break: it takes two minutes.
reminder-expired = ⛔ Your key { $key } has expired, so copying has stopped. Connect a new key to resume.
rotate-now-button = Replace now

## Disconnect and forget

disconnect-confirm = Disconnect the key { $key }? Copying stops and I forget the key. Open positions and orders stay open in Bybit.
disconnect-button = Disconnect
disconnected = Disconnected. I deleted the key from our storage, and copying has stopped. Your open positions and orders stay open in Bybit: close there what you no longer want. Now delete { $key } in Bybit as well: API Management → Delete.
disconnect-kept = Okay, your key stays connected.
forget-confirm = Delete your key, its reminders and its history? This can’t be undone. Our security log still keeps a dated line for each thing that happened to your keys (their names and masked keys, never a key itself) until the log’s time for it runs out.
forget-button = Delete everything
forget-kept = Okay, I deleted nothing.
forgotten = Done: I deleted your key, its reminders and its history. If your key still exists in Bybit, delete it there too.

## Connect and rotate

connect-intro = <b>Let’s connect your Bybit account.</b> It takes two minutes.
rotate-intro = <b>Let’s replace your key</b> { $key }. Keep the old key until I confirm the new one.
two-ways-title = Choose how:
two-ways-pair = • <b>Make the key for me</b> (recommended): I make a key pair and give you its public key to paste into Bybit. You send back only the API key, so nothing secret ever crosses this chat.
two-ways-secret = • <b>I have a key and secret</b>: send them here, and I delete each message the moment it arrives.
make-pair-button = Make the key for me (nothing secret to copy)
have-secret-button = I have a key and secret
pick-way = Please tap one of the two buttons above, or paste your key, or /cancel.
setting-name = • Name: e.g. <code>{ $name }</code> (a new name for each key)
setting-permissions = • <b>Read-Write</b>, with <b>Contracts: Orders and Positions</b>. Nothing else.
setting-wallet = • Wallet (Account Transfer, Subaccount Transfer, Withdrawal): <b>off</b>
setting-ip-none = • IP restriction: none. The key then expires after 90 days.
setting-ip-bind = • IP restriction: <b>bind</b> it to { $ips } (tap to copy): it then works only from our servers and never expires. Unbound, it expires in 90 days.
public-key-title = Your <b>public key</b> (tap it to copy):
open-api-management-button = Open Bybit API Management
public-key-where = In Bybit, open { $link } → <b>Create New Key</b> → <b>Self-generated API Keys</b>, paste the public key, and set:
public-key-then = Then send me the <b>API key</b> Bybit shows you. There is no secret to copy: the private key never leaves our vault. This public key is valid for { $minutes } minutes.
secret-where = In Bybit, open { $link } → <b>Create New Key</b> → <b>System-generated API Keys</b> and set:
secret-once = Bybit shows the secret only once, so keep that page open.
secret-then = Now send me the <b>API key</b>. You can also send the key and the secret together. I delete each message as soon as it arrives.
ask-secret = Got the key. Now send the <b>API secret</b>.
not-a-key = That doesn’t look like an API key: Bybit keys are about 18 letters and digits. Copy it again from Bybit and send it here, or /cancel.
not-a-secret = That doesn’t look like an API secret: Bybit secrets are about 36 letters and digits. Copy it again and send it here, or /cancel.
secret-first = It looks like the <b>secret</b>: please send the <b>API key</b> first (about 18 letters and digits), then the secret.
key-replaced = Got it: I will use this key instead. Now send the <b>API secret</b>.
sentence-instead-of-key = It reads like a sentence: please send only the <b>API key</b>, copied from Bybit, or /cancel.
sentence-instead-of-secret = It reads like a sentence: please send only the <b>API secret</b>, copied from Bybit, or /cancel.
private-key-pasted-pair-step = ⚠️ That was a <b>private key</b>. I did not store or use it. Never send a private key to anyone. Here I need only the <b>API key</b> Bybit shows once you paste my public key.
private-key-pasted = ⚠️ That was a <b>private key</b>. I did not store or use it. Never send a private key to anyone; if it belongs to a Bybit key, delete that key in Bybit. The safer way: /connect, then <b>Make the key for me</b>. I make the pair, and its private key never leaves our vault.
public-key-sent-back = That is the public key: paste it into Bybit’s <b>Self-generated API Keys</b> dialog, then send me the <b>API key</b> Bybit shows you.
public-key-without-pair = That is a public key, and I can only use a key made from a pair I made. Send /connect and tap <b>Make the key for me</b>, or send a system-generated key and its secret.
secret-while-waiting-for-rsa-key = It looks like a <b>secret</b>, but a key made with my public key has none: send only its <b>API key</b>. If you made a system-generated key instead, send its key and secret together in one message.
text-only = Please send the key as a text message, or /cancel.
check-interrupted-nothing-stored = Sorry: I was restarted while checking your key, so the check did not finish and nothing was stored. Please send /connect to try again.
check-interrupted-stored = Sorry: I was restarted while checking your key, before I could confirm it. It did get connected: { $key }. Send /status to see it.
too-many-checks = ⏳ I checked several keys for you in a short time, and Bybit lets us ask only so often. Nothing was stored. Please wait { $seconds } seconds, { $then }
pairs-paused = I’ve made several key pairs for you in the last few minutes, so I’m pausing for a while. Send /connect again in { $minutes ->
    [one] a minute
   *[other] { $minutes } minutes
}. Or, if you have a key and secret from Bybit, send /connect now and tap “I have a key and secret”.
too-many-tries = That’s several tries that didn’t work, so I stopped here and stored nothing. Send /connect to start again when you have the key at hand.
too-much-chatter = We’ve gone back and forth many times without a key, so I stopped here and stored nothing. Send /connect to start again when you have the key at hand.
command-during-flow = We’re in the middle of connecting a key. Send the key, or /cancel to stop.
step-again = Here is where we are:
replace-existing = You already have the key { $key } connected. Replace it with a new one?
replace-button = Replace it
keep-button = Keep it
pick-answer = Please tap one of the two buttons, paste the new key, or /cancel.
kept-existing = Okay, your key stays as it is.
replacing = Okay, let’s connect the new key.
same-key = This is the key you already have connected. Create a new key in Bybit, { $then }
delete-old-key = Now delete the old key { $key } in Bybit: { $link } → Delete. Until you do, it still works for anyone who has it.
reminder-schedule = I’ll remind you to replace it on { $rotate }.
reminder-schedule-expiry = { $before ->
    [both] I’ll warn you a week and a day before it expires on { $expiry }, and again that day.
    [day] I’ll warn you a day before it expires on { $expiry }, and again that day.
   *[none] I’ll remind you again when it expires on { $expiry }.
}
checking = Checking the key with Bybit…
pair-expired = The public key I gave you has expired (they last { $minutes } minutes), so nothing was stored. Send /connect for a fresh one, create a new key in Bybit with it, and delete the key you made with the old one.
refused-title = ❌ I can’t use the key “{ $name }”. Nothing was stored.
refused-fix = Fix this in Bybit (or create a new key), { $then }
connected = ✅ Connected: key { $key }.
connected-rsa = ✅ Connected: key { $key }, self-generated: its private key never left our vault.
connected-permissions = Permissions: { $permissions }
connected-equity = Account equity: { $usd } USD.
connected-equity-unknown = Account equity: not available right now.
connected-equity-not-unified = Account equity: not shown, because your account is not a Unified Trading Account (I read equity only from those).
connected-expiry-none = Expiry: none (the key is bound to our IPs).
connected-expires = { $days ->
    [one] Expires: { $date } (in 1 day).
   *[other] Expires: { $date } (in { $days } days).
}
copy-start-default = Copying starts within seconds: the trader’s new trades are copied to your account.
existing-stays = Your key { $key } stays connected.
not-stored-after-panic = You sent /panic while I was checking this key, so I did not store it. Send /connect when you are ready.
save-failed = Something went wrong while saving your key, and I can’t tell whether it was stored. Send /status to see: if no key is connected, try /connect again in a minute.

failure-invalid-key = Bybit does not know this API key, on any of its sites. Check that you copied all of it, and that it is a mainnet key (not testnet),
failure-invalid-key-unsearched = Bybit’s global site does not know this API key. I have looked on Bybit’s other sites for you several times this hour, so this time I asked only the global site. If your account is on a regional site, name it (for example /connect tr); otherwise check that you copied all of the key, and that it is a mainnet key (not testnet),
failure-invalid-key-on-site = { $site } does not know this API key. I asked only { $site }, as you named it: if the key was made on another Bybit site, send /connect alone and I will find it. Otherwise check that you copied all of it, and that it is a mainnet key (not testnet),
failure-site-silent = Bybit’s global site does not know this API key, and { $site } did not answer just now, so I can’t tell whether the key was made there. Nothing was stored. If you made it on { $site }, please wait a minute; otherwise check that you copied all of it,
failure-wrong-secret = The secret does not match this key. Copy the secret again (Bybit shows it only once: if it is gone, create a new key),
failure-ip-not-allowed = Bybit refused the key because it is bound to other IP addresses. In Bybit, set its IP restriction as the steps say (our IPs, or none),
failure-expired = This key has expired in Bybit. Create a new one,
failure-clock-skew = Bybit rejected the request time. This is on our side, and nothing was stored. Please wait a minute,
failure-rate-limited = Bybit is limiting requests right now. Nothing was stored. Please wait a minute,
failure-timeout = Bybit did not answer in time. Nothing was stored. Please wait a minute,
failure-unavailable = Bybit is not answering properly right now. Nothing was stored. Please wait a minute,
failure-region-restricted = Bybit refuses API access for this account’s region right now. Nothing was stored. Check in your Bybit account that API keys are allowed where you are,
failure-unsupported-site = This key belongs to { $site }. { $site } lets API keys be made only for the apps on its own list, so this service cannot connect a { $site } account yet. Nothing was stored. Please delete the key you made.
unknown-site = I don’t know a Bybit site called “{ $named }”. Send /connect and I will find your key’s site myself, or name one of: { $sites }.
failure-on-site = { $site } answered:
failure-rsa-wrong-secret = Bybit did not accept my signature for this key: it was made with a different public key, or it is a system-generated key (send those with their secret). Nothing was stored. In Bybit, create a self-generated key with the public key I sent,

reason-can-withdraw = It can <b>withdraw</b> funds. Untick Wallet → Withdrawal.
reason-can-transfer = It can <b>transfer</b> funds ({ $permissions }). Untick Wallet → Account Transfer and Subaccount Transfer.
reason-fiat = It has fiat permissions ({ $categories }). Untick everything under Fiat.
reason-read-only = It is <b>read-only</b>, so it can’t place copied trades. Choose Read-Write.
reason-contract-trade-missing = It can’t trade contracts: tick Contracts → { $missing }.
reason-unsafe-permissions = It has permissions this service must not hold: { $groups }. Untick everything but Contracts → Orders and Positions.
reason-other-trading = It can trade other products: { $groups }. This service trades only contracts: untick everything but Contracts → Orders and Positions.
reasons-more = And { $count } more. Quickest: create a new key with only Contracts → Orders and Positions ticked.
reason-no-expiry = It has no expiry date. Create a key without IP restriction: Bybit then sets a 90-day expiry.
reason-ip-bound-without-egress = It is bound to IP addresses, so our servers can’t use it. Set IP restriction to none.
reason-ip-bound-missing-egress = It is bound to IP addresses that leave out our servers. Add { $missing } or set IP restriction to none.
reason-public-key-mismatch = Bybit holds a different public key for it than the one I gave you. Create the key with the public key I sent.
list-and = { $first } and { $second }
warning-rotation-due = This key is already { $days } days old and due to be replaced. Please make a new key soon.
warning-not-unified = Your account is not a Unified Trading Account. Some copied trades may fail until you upgrade it in Bybit.

## The Mini App: a page inside Telegram for the key and secret, the key's life and /panic

webapp-button = 🔐 Type it in a secure page
webapp-status-button = 📅 See my key’s life
webapp-menu-button = My key
webapp-title = Your Bybit key
webapp-home-connect = To connect a key, send /connect in the chat and tap “🔐 Type it in a secure page”.
webapp-open-status = 📅 My key’s life
webapp-open-panic = 🚨 Panic: stop my key
webapp-have-secret = I have a key and secret
webapp-make-for-me = Make the key for me (recommended)
webapp-make-for-me-lead = I make a key pair and show you its public key. You paste it into Bybit and type here only the API key: nothing secret to copy.
webapp-make-button = Show me the public key
webapp-api-key = API key
webapp-api-secret = API secret
webapp-connect = Connect
webapp-checking = Checking the key with Bybit…
webapp-copy = Copy
webapp-copied = Copied ✓
webapp-how = How to make the key in Bybit
webapp-pair-then = Then type here the <b>API key</b> Bybit shows you. This public key is valid for { $minutes } minutes.
webapp-also-in-chat = I said the same in the chat.
webapp-no-ticket = To connect a key, send /connect in the chat and tap “🔐 Type it in a secure page” there.
webapp-ticket-gone = This form was used already or is more than 10 minutes old. Send /connect in the chat for a new one.
webapp-not-yours = This form was made for another Telegram account. Send /connect in your own chat with me.
webapp-missing = Open this page from the bot in Telegram: from the button under my message, or the menu button.
webapp-forged = I can’t tell who opened this page, so it does nothing. Open it again from the bot in Telegram.
webapp-stale = This page was opened more than 10 minutes ago. Close it and open it again from the bot.
webapp-bad-key = That doesn’t look like an API key: Bybit keys are about 18 letters and digits. Copy it again from Bybit.
webapp-bad-secret = That doesn’t look like an API secret: Bybit secrets are about 36 letters and digits. Copy it again from Bybit.
webapp-too-large = That is far too long for a key and a secret. Copy them again from Bybit.
webapp-cut-short = The check was cut short on our side. I will tell you in the chat what became of the key.
webapp-not-begun = Sorry: our storage is failing right now, so I did not check your key, and nothing was stored. In a few minutes, send /connect in the chat and open this page again.
webapp-failed = Something went wrong on our side. Try again in a minute, or use the chat.
webapp-offline = I can’t reach the server. Check your connection and try again. If you tapped Connect, look in the chat: if the key reached me, I said there what became of it.
webapp-status-title = Your key’s life
webapp-created = Created
webapp-rotate-day = Day { $days }: replace
webapp-expiry = Expiry
webapp-today = Today
webapp-reminder = reminder
webapp-timeline-label = Created { $created }. Replace on { $rotate }. Expires { $expiry }. Today is { $today }.
webapp-panic-title = Panic
webapp-panic-lead = Think the key leaked? This stops it now: I freeze it at once and never use it again. Then you delete it in Bybit.
webapp-panic-button = 🚨 Stop my key now
webapp-panic-in-chat = The buttons “I deleted it” and “Forget the key now” are in the chat.

## Deleting messages that carried a credential

deletion-deleted = I deleted your message.
deletion-still-trying = Telegram is slow right now: I am still deleting your message, and I will tell you if I can’t.
not-deleted-refused = ⚠️ Telegram did not let me delete this message. Please delete it yourself now: it looks like part of an API key.
not-deleted-gave-up = ⚠️ Telegram kept failing for two days, and I could not delete this message. Please delete it yourself now: it looks like part of an API key.
group-not-deleted-refused = A message here looks like an API key or secret, and Telegram did not let me delete it (I need the right to delete messages). Please delete it now, and delete that key in Bybit: others have seen it. Keys go only in a private chat with me: https://t.me/{ $bot }?start=connect
group-not-deleted-gave-up = A message here looks like an API key or secret, and Telegram kept failing for two days, so I could not delete it. Please delete it now, and delete that key in Bybit: others have seen it. Keys go only in a private chat with me: https://t.me/{ $bot }?start=connect

## /panic

panic-no-key = No key is connected, so there is nothing for me to freeze. If you think a Bybit key leaked, delete it in Bybit now: { $link } → Delete. Then change your Bybit password and check your 2FA.
group-leak-frozen = 🧊 You posted your connected key { $key } in a group, so I froze it: I no longer use it, and I will never accept it again. Delete it in Bybit now, as below.
panic-frozen = 🧊 Frozen: I no longer use the key { $key } for anything, and I will never accept it again.
panic-not-frozen = ⚠️ I could not freeze your key { $key } just now: our storage is failing. Delete the key in { $link } now: that stops it for good. I keep trying to freeze it here and will tell you when it is done.
panic-gave-up = ⚠️ I still could not freeze your key { $key }. Delete it in { $link } if you have not yet, then send /panic again in a few minutes.
panic-raced = Your key changed just as you sent /panic. Please send /panic again.
incident-reason-default = We are investigating a security problem at this service.
incident-notice = ⚠️ { $reason } To keep your account safe, I froze your key { $key }: no part of this service can use it any more. Please delete it in Bybit now, then connect a new key with /connect.
revoke-title = <b>Now revoke the key in Bybit.</b> It takes 30 seconds:
revoke-step-open = 1. Open <a href="{ $url }">{ $site } → API Management</a>
revoke-step-find = 2. Find { $key }
revoke-step-delete = 3. Press <b>Delete</b> and confirm with your 2FA code
revoke-then = Then press <b>I deleted it</b>, and I’ll check with Bybit that the key no longer works. Meanwhile I read what your account holds.
frozen-notice = 🧊 Your key { $key } is frozen after /panic, and it still has to be deleted in Bybit: { $link } → Delete. Then press <b>I deleted it</b>.
freeze-too-question = Your new key { $key }, connected since, is still in use. Has it leaked too?
freeze-too-button = Freeze it too
freeze-too-keep-button = No, keep it
freeze-too-kept = OK: your key { $key } stays in use.
panic-cannot-be-cancelled = A /panic can’t be undone: the key { $key } stays frozen, and it still has to be deleted in Bybit: { $link } → Delete. Then press <b>I deleted it</b>.
checking-revocation = Checking with Bybit…
check-again-in = ⏳ I asked Bybit several times in a short time, and it lets us ask only so often. Press <b>I deleted it</b> again in { $seconds } seconds, or <b>Forget the key now</b>.
deleted-it-button = I deleted it
forget-now-button = Forget the key now
forget-now-question = Forget the frozen key { $key } without Bybit confirming it is deleted? I will stop checking it. If it is not deleted in Bybit, it still works there.
forget-now-yes-button = Yes, forget it
forget-now-no-button = No, go back
open-positions = { $count ->
    [one] 1 open position
   *[other] { $count } open positions
}
open-orders = { $count ->
    [one] 1 open order
   *[other] { $count } open orders
}
foreign-fills = { $count ->
    [one] 1 fill
   *[other] { $count } fills
}
snapshot-taken = 📸 Read while the key still worked: { $positions }, { $orders }, { $fills } in the last 7 days that this service did not place. I’ll go through them once the key is revoked.
snapshot-failed = I couldn’t read your account with the key just now. Revoke the key first; check your positions in Bybit afterwards.
key-already-dead = Your key { $key } no longer works in Bybit: it was already deleted or has expired. Nothing is left to revoke, and I deleted it from our storage.
still-active = ⚠️ Bybit still accepts the key { $key }: it is not deleted yet. Please follow the steps again.
cannot-check = I can no longer open the key { $key } to check it with Bybit. Make sure it is deleted in Bybit ({ $link }), then press <b>Forget the key now</b>.
verify-failed = I couldn’t check with Bybit just now. Press <b>I deleted it</b> again in a minute, or <b>Forget the key now</b>.
revoked-verified = ✅ Verified: Bybit no longer accepts the key { $key }. I deleted it, its secret or private key, and the snapshot from our storage.
forgot-unverified = I deleted the key, its secret or private key, and the snapshot from our storage. I did not check with Bybit: make sure { $key } is deleted there ({ $link }).
key-denied = ❌ This key was frozen as leaked, so I will never use it again. Nothing was stored. Delete it in Bybit, create a new key, { $then }
key-shared = ❌ This key is already connected to another account here, so it has been shared or has leaked: whoever has it can trade with it. Nothing was stored. Delete it in { $link } now, and send /panic if a key you connected may have leaked too. Create a new key, { $then }
review-as-of = <b>As read at { $time } UTC</b>, just after /panic. The key worked until you deleted it, so check Bybit for anything since.
review-as-of-unverified = <b>As read at { $time } UTC</b>, just after /panic. Until the key is deleted in Bybit it still works there, so check Bybit for anything since.
review-positions-title = <b>Open positions.</b> They stay open after the key is revoked: close in Bybit what you no longer want.
review-orders-title = <b>Open orders.</b> They stay open too: cancel in Bybit what you no longer want.
review-nothing-open = No open positions or orders.
review-fills-title = <b>Fills of the last 7 days that this service did not place.</b> If you do not recognise them, contact Bybit support now.
review-no-foreign-fills = No fills in the last 7 days other than this service’s.
review-unavailable = I could not read your account with the key, so check your open positions, orders and recent trades in Bybit.
review-position = • { $symbol } { $side } { $size } @ { $entry } (mark { $mark }), PnL { $pnl }, { $leverage }×, liq. { $liquidation }
review-order = • { $symbol } { $side } { $type } { $qty } @ { $price }
review-fill = • { $time } UTC { $symbol } { $side } { $qty } @ { $price }
after-panic-title = <b>What to do next</b>
after-panic-passwords = • Change the passwords of accounts that may share the leak: your email and Bybit.
after-panic-other-keys = • Replace your API keys on other exchanges.
after-panic-2fa = • Turn on 2FA everywhere.
after-panic-support = • Tell us what happened: { $contact }
after-panic-connect = When you’re ready, send /connect to connect a fresh key.
group-panic = Don’t wait: open a private chat with me and I’ll freeze your key at once: https://t.me/{ $bot }?start=panic

## What the key watch found

watch-refused = ⚠️ Your key { $key } changed in Bybit, and this service must not use it as it is now. I stopped using it: nothing trades with it, and copying has stopped.
watch-what-changed = What changed:
watch-added = • Added: { $permissions }
watch-removed = • Removed: { $permissions }
groups-more = and { $count } more
watch-money = If you did not make this change, someone may have access to your Bybit account: change your password and check your 2FA now. Then delete this key in { $link }, and send /connect to connect a new one with only Contracts → Orders and Positions. I won’t accept this key again.
watch-fix = Fix it in { $link } and send /connect to connect it again, or create a new key.
watch-deleted = ⛔ Bybit no longer accepts your key { $key }: it was deleted in Bybit, so copying has stopped. If you did not delete it yourself, check your Bybit account’s security. Send /connect to connect a new key.
watch-shared = ⛔ I froze your key { $key }: the same key was found in another account here, so it has been shared or has leaked. Nothing trades with it any more, and copying has stopped. Delete it in { $link } now, or send /panic for the steps. Then send /connect to connect a new key.

# Restarts (issue 21, defects 4-5)

restart-unanswered-key = Sorry: I was restarted just as your message with a key arrived. I deleted it to keep the key safe, and nothing was stored. Send /connect to send the key again.
restart-unanswered = Sorry: I was restarted while handling your last message or button tap, so it got no answer. Please send it again.
restart-panic-steps = Sorry: I was restarted just after freezing your key, before the steps went out. Here they are.

# Redis faults (issue 21, defect 2)

check-cut-short-stored = ✅ Your key { $key } is connected. Sorry for the wait: our storage stumbled during the check. Send /status to see the details.
check-cut-short-not-stored = Sorry: our storage stumbled while I was checking your key, so the check was cut short and nothing was stored. Please send /connect and then the key again.
check-not-begun = Sorry: our storage is failing right now, so I did not check your key, and nothing was stored. Please send /connect and the key again in a few minutes.

# Stale buttons (issue 21, defect 6)

button-for-old-key = This button is for a key you no longer have, so I left your current key alone. Send /rotate to replace the key you have now.
button-for-old-key-none = This button is for a key you no longer have. Send /connect to connect a new one.

# Connect with Bybit (Bybit's OAuth for API brokers, issue 23)

oauth-button = 🔗 Connect with Bybit (one tap, nothing to copy)
oauth-page-title = Connect with Bybit
oauth-page-done = ✅ Done: your Bybit account is connected. Go back to Telegram.
oauth-page-not-connected = Your key was not connected. Go back to Telegram: I told you there why, and what to do next.
oauth-page-later = Something went wrong on our side while storing your key. Go back to Telegram: I will tell you there what became of it.
oauth-page-link-used = This link was already used or has expired, so nothing was done. Go back to Telegram and send /connect for a new one.
oauth-page-denied = You did not approve the connection in Bybit, so nothing was connected. Go back to Telegram to try again or choose another way.
oauth-page-bybit-failed = Bybit did not complete the connection, so nothing was stored. Go back to Telegram: I told you there what to do.
oauth-page-fault = Something went wrong on our side, so nothing was done. Go back to Telegram and send /connect to try again.
oauth-page-other-browser = Nothing was connected: this approval did not come back to the app where “Connect with Bybit” was tapped. In the chat, tap “Connect with Bybit” on the device where you approve, and approve in the page it opens.
oauth-chat-other-browser = A Bybit approval came back in a different browser from the one your “Connect with Bybit” opened, so I connected nothing. To connect, send /connect, tap “Connect with Bybit” and approve in the page it opens, on the same device.
oauth-start-opening = Opening Bybit…
oauth-start-framed = “Connect with Bybit” works in the Telegram app on your phone or computer, not in Telegram Web. Open this chat there and tap it again.
oauth-start-not-yours = This button is from someone else’s chat, so it does nothing for you. To connect your own account, send /connect in your chat with the bot.
oauth-chat-denied = You did not approve the connection in Bybit, so nothing was connected. Send /connect to try again, or to choose another way.
oauth-chat-panicked = You sent /panic after tapping “Connect with Bybit”, so I connected nothing. Send /connect when you are ready.
oauth-chat-code-refused = Bybit did not accept the approval (it may have expired), so nothing was stored. Send /connect and tap “Connect with Bybit” again.
oauth-chat-failed = Bybit did not complete the connection just now, so nothing was stored. Please wait a minute, then send /connect and tap “Connect with Bybit” again. If a key for this service shows up in Bybit’s { $link }, delete it.
oauth-refused = ❌ Bybit made a key for this service, but it does not fit our safety rules, so I did not store it. This is on our side, not yours. Please delete that key in Bybit: { $link } → Delete. Then send /connect and choose another way.
oauth-connected = ✅ Connected with Bybit: key { $key }. Bybit made it for this service and bound it to our IPs; nothing secret crossed this chat.
oauth-expiry = Expiry: none in Bybit, as the key is bound to our IPs. Still, like every key here, it has a limit of our own, and I’ll remind you to replace it before then: an old key is a risk if it ever leaks.
reminder-rotate-oauth = 🔁 Time to replace your key { $key }: it is { $days } days old. Bybit doesn’t expire keys bound to our IPs, but a fresh key is safer. Send /rotate and tap “Connect with Bybit”: one tap.
revoke-step-oauth = This key came from “Connect with Bybit”: deleting it removes this service’s access. If Bybit also lists this service among your connected apps, remove it there too.
reason-ip-not-bound = It is not bound to any IP address, though a key made for this service must be bound to ours.
reason-ip-bound-extra = It is bound to IP addresses besides ours: { $extra }.
