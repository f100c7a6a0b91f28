// The recommended login for a mini-program in 2026, on wxsession:
//   1. silent: the app logs in at launch (wx.login → POST /v1/sessions) and every call through
//      session.request logs in again by itself when the session has ended;
//   2. the phone number only when the user taps the getPhoneNumber button (its one-time code
//      goes to wxsession, which asks WeChat with the app's shared access_token);
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
    error: '',
  },

  methods: {
    async onLoad() {
      try {
        const me = await getApp().session.whoami()
        this.setData({ openid: me.openid })
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
        this.setData({ phone: phone.phoneNumber, error: '' })
      } catch (err) {
        // phone_declined: the user said no — carry on without it.
        this.setData({ error: err.code === 'phone_declined' ? 'No phone number: that is fine.' : err.code })
      }
    },
  },
})
