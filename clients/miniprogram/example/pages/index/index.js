// The recommended login for a mini-program in 2026, on wxsession:
//   1. silent: the app logs in at launch (wx.login → POST /v1/sessions) and every call through
//      session.request logs in again by itself when the session has ended;
//   2. the phone number: first asked of wxsession (knownPhoneNumber — a number it remembers,
//      phone.remember_days); the getPhoneNumber button only when it knows none. WeChat charges
//      for every successful button (0.03 CNY; 0.04 for getRealtimePhoneNumber), whether or
//      not the code is exchanged, so a user whose number is known never sees it again. The
//      button's one-time code goes to wxsession, which asks WeChat with the app's shared
//      access_token;
//   3. avatar and nickname chosen by the user (open-type="chooseAvatar", <input type="nickname">),
//      sent to the team's own API through session.request (Authorization: Bearer …).
// Written with Component() — WeChat accepts it for pages — so that miniprogram-simulate can
// render it in the tests (clients/miniprogram/test/example.test.js).

const API = 'https://api.example.com'

Component({
  data: {
    openid: '',
    avatarUrl: '',
    nickname: '',
    saved: false,
    phone: '',
    // Show the phone button only once wxsession said it knows no number.
    askPhone: false,
    error: '',
  },

  methods: {
    async onLoad() {
      try {
        const session = getApp().session
        const me = await session.whoami()
        this.setData({ openid: me.openid })
        const known = await session.knownPhoneNumber()
        if (known) this.setData({ phone: known.phoneNumber })
        else this.setData({ askPhone: true })
      } catch (err) {
        this.setData({ error: err.code || 'login_failed' })
      }
    },

    onChooseAvatar(e) {
      // A temporary file: upload it to your own storage before saving its URL.
      this.setData({ avatarUrl: e.detail.avatarUrl, saved: false })
    },

    onNickname(e) {
      this.setData({ nickname: e.detail.value, saved: false })
    },

    async onSave() {
      try {
        await getApp().session.request({
          url: `${API}/profile`,
          method: 'POST',
          data: { nickname: this.data.nickname, avatarUrl: this.data.avatarUrl },
        })
        this.setData({ saved: true, error: '' })
      } catch (err) {
        this.setData({ error: err.code || 'save_failed' })
      }
    },

    async onGetPhoneNumber(e) {
      try {
        const phone = await getApp().session.phoneNumberFromEvent(e)
        this.setData({ phone: phone.phoneNumber, askPhone: false, error: '' })
      } catch (err) {
        if (err.code === 'phone_quota_exhausted') {
          // The app's phone-number quota is spent (errno 1400001): offer another way (typing
          // the number, an SMS code) instead of a button that cannot work.
          this.setData({ askPhone: false, error: 'Phone verification is unavailable right now.' })
          return
        }
        // phone_declined: the user said no — carry on without it.
        this.setData({ error: err.code === 'phone_declined' ? 'No phone number: that is fine.' : err.code })
      }
    },
  },
})
