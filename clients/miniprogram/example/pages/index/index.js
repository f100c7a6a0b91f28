const app = getApp()

Page({
  data: { openid: '', nickName: '', error: '' },

  async onShow() {
    try {
      const me = await app.session.whoami()
      this.setData({ openid: me.openid })
    } catch (err) {
      this.setData({ error: err.code })
    }
  },

  // Bound to a button with open-type="getUserInfo" (or any data WeChat hands out encrypted).
  async onGetUserInfo(e) {
    try {
      const user = await app.session.decrypt({
        encryptedData: e.detail.encryptedData,
        iv: e.detail.iv,
        rawData: e.detail.rawData,
        signature: e.detail.signature,
      })
      this.setData({ nickName: user.nickName })
    } catch (err) {
      // decrypt_failed: call wx.login again and fetch the data again.
      if (err.code === 'decrypt_failed') await app.session.login()
      this.setData({ error: err.code })
    }
  },

  async onOrders() {
    const res = await app.session.request({ url: 'https://api.example.com/orders' })
    console.log(res.data)
  },
})
