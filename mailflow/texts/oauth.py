"""User-facing texts of OAuth2 sign-in (`mailflow auth`): {key: (Indonesian, English)}."""

MESSAGES: dict[str, tuple[str, str]] = {
    "oauth.refused": (
        "Login OAuth2 akun {name} ({user}) tidak dapat dipakai: {reason}. Jalankan "
        "`mailflow auth login {name}` untuk masuk lagi; sampai itu akun ini tidak dibaca/dipakai.",
        "The OAuth2 sign-in of account {name} ({user}) cannot be used: {reason}. Run "
        "`mailflow auth login {name}` to sign in again; until then this account is not used.",
    ),
    "oauth.unknown_account": (
        'tidak ada akun OAuth2 bernama {name!r}; akun dengan auth = "oauth2": {known}',
        'no OAuth2 account named {name!r}; accounts with auth = "oauth2": {known}',
    ),
    "oauth.device.prompt": (
        "Buka {url} di peramban mana pun, masukkan kode {code} lalu masuk sebagai {user}.",
        "Open {url} in any browser, enter the code {code} and sign in as {user}.",
    ),
    "oauth.browser.prompt": (
        "Buka alamat ini di peramban dan masuk sebagai {user}:\n{url}\nBila peramban ada di komputer "
        "lain, setelah menekan Izinkan salin alamat yang tampil di bilah alamat (http://127.0.0.1:...) "
        "lalu tempel di sini dan tekan Enter.",
        "Open this address in a browser and sign in as {user}:\n{url}\nIf the browser is on another "
        "computer, after clicking Allow copy the address shown in its address bar (http://127.0.0.1:...), "
        "paste it here and press Enter.",
    ),
    "oauth.browser.done": (
        "Login mailflow selesai. Jendela ini boleh ditutup.",
        "mailflow sign-in finished. You may close this window.",
    ),
    "oauth.waiting": ("Menunggu login...", "Waiting for the sign-in..."),
    "oauth.login.ok": (
        "Masuk sebagai {user}; token disimpan di {path} (mode 600), berlaku sampai {expires}.",
        "Signed in as {user}; the token is stored in {path} (mode 600), valid until {expires}.",
    ),
    "oauth.login.failed": ("Login OAuth2 gagal: {reason}", "OAuth2 sign-in failed: {reason}"),
    "oauth.login.timeout": (
        "waktu login habis sebelum izin diberikan",
        "the sign-in timed out before access was granted",
    ),
    "oauth.login.state": (
        "jawaban login tidak cocok dengan permintaan ini (state berbeda)",
        "the sign-in answer does not belong to this request (state differs)",
    ),
    "oauth.login.no_secret": (
        "Google memerlukan client_secret: isi oauth2.client_secret atau {variable}",
        "Google needs the client_secret: set oauth2.client_secret or {variable}",
    ),
    "oauth.status.col.account": ("Akun", "Account"),
    "oauth.status.col.user": ("Pengguna", "User"),
    "oauth.status.col.provider": ("Penyedia", "Provider"),
    "oauth.status.col.token": ("Berkas token", "Token file"),
    "oauth.status.col.state": ("Keadaan", "State"),
    "oauth.status.missing": ("belum login", "not signed in"),
    "oauth.status.valid": ("token akses berlaku sampai {expires}", "access token valid until {expires}"),
    "oauth.status.expired": (
        "token akses kedaluwarsa (diperbarui otomatis saat dipakai)",
        "access token expired (refreshed automatically when used)",
    ),
    "oauth.status.none": ('Tidak ada akun dengan auth = "oauth2".', 'No account has auth = "oauth2".'),
}
