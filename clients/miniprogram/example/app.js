// Example mini-program on wxsession. In WeChat DevTools: `npm install` in this directory, then
// Tools → 构建 npm (the SDK has no dependencies; its `miniprogram` field points DevTools at lib/).
const { createSession } = require('wxsession-miniprogram')

App({
  session: createSession({ baseUrl: 'https://login.example.com' }),
  onLaunch() {
    // Silent login at launch; later calls reuse the token and log in again when it has ended.
    this.session.login().catch((err) => console.warn('login failed', err.code))
  },
})
