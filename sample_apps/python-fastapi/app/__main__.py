"""``python -m app``: serve with uvicorn on $PORT (default 8000), all interfaces."""

import os

import uvicorn

if __name__ == "__main__":
    uvicorn.run("app.main:app", host="0.0.0.0", port=int(os.environ.get("PORT", "8000")),  # noqa: S104
                proxy_headers=False, access_log=False)
