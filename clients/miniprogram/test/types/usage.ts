// Typed usage of the SDK, compiled with `tsc --noEmit` against the official
// miniprogram-api-typings (scripts/test.d/miniprogram.sh): the official `wx` must fit
// `PlatformApi`, the official button events must fit the SDK's handlers, and the results must
// have the documented shapes. A wrong declaration in lib/index.d.ts fails here.

import {
  createSession,
  WxSessionError,
  type Identity,
  type PhoneNumber,
  type PlatformApi,
  type RememberedPhoneNumber,
  type Session,
} from '../..'

// The official `wx` is a platform object as it is.
const platform: PlatformApi = wx
const session: Session = createSession({ baseUrl: 'https://login.example.com', api: wx })
createSession({ baseUrl: 'https://login.example.com' }) // the global wx
createSession({ baseUrl: 'https://login.example.com', appid: 'wx1234567890abcdef', api: platform })

// A page in the recommended style: silent login, the phone-number button, avatar and nickname.
Component({
  data: { openid: '', phone: '', verifiedAt: 0, avatarUrl: '', nickname: '', error: '' },
  methods: {
    async onLoad() {
      const me: Identity = await session.whoami()
      this.setData({ openid: me.openid })
      // Ask first; the paid button only when no number is remembered.
      const known: RememberedPhoneNumber | null = await session.knownPhoneNumber()
      if (known) this.setData({ phone: known.purePhoneNumber, verifiedAt: known.verified_at })
    },
    // The typings have no event of getRealtimePhoneNumber yet: its detail, as WeChat documents it.
    async onGetRealtimePhoneNumber(
      e: WechatMiniprogram.CustomEvent<{ code?: string; errMsg: string; errno?: number }>,
    ) {
      try {
        await session.phoneNumberFromEvent(e)
      } catch (err) {
        if (err instanceof WxSessionError && err.code === 'phone_quota_exhausted') return 'quota'
      }
      await session.forgetPhoneNumber()
      return 'ok'
    },
    async onGetPhoneNumber(e: WechatMiniprogram.ButtonGetPhoneNumber) {
      try {
        const phone: PhoneNumber = await session.phoneNumberFromEvent(e)
        this.setData({ phone: phone.purePhoneNumber })
      } catch (err) {
        if (err instanceof WxSessionError) this.setData({ error: err.code })
      }
    },
    async onGetPhoneNumberByCode(e: WechatMiniprogram.ButtonGetPhoneNumber) {
      const { phoneNumber, countryCode } = await session.getPhoneNumber({ code: e.detail.code })
      return `${countryCode} ${phoneNumber}`
    },
    onChooseAvatar(e: WechatMiniprogram.CustomEvent<{ avatarUrl: string }>) {
      this.setData({ avatarUrl: e.detail.avatarUrl })
    },
    onNickname(e: WechatMiniprogram.Input) {
      this.setData({ nickname: e.detail.value })
    },
    async onOrders() {
      const res = await session.request<{ orders: string[] }>({ url: '/api/orders', method: 'GET' })
      const first: string | undefined = res.data.orders[0]
      const valid: boolean = (await session.keyStatus()).valid
      return { first, valid, status: res.statusCode }
    },
  },
})

// What must not compile.
// @ts-expect-error a base URL is required
createSession({})
// @ts-expect-error the phone code is a string
session.getPhoneNumber({ code: 42 })
// @ts-expect-error methods are the platform's
session.request({ url: '/x', method: 'FETCH' })
