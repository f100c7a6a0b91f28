// Example mini-program using the wxsession client. Copy wxsession.js next to app.js.
const { createSession } = require('./wxsession')

App({
  session: createSession({ baseUrl: 'https://login.example.com' }),
  onLaunch() {
    // Log in early; later calls reuse the token and log in again by themselves when it expires.
    this.session.login().catch((err) => console.warn('login failed', err.code))
  },
})
