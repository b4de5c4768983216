// The workbench's entry: Vue, Pinia and the app shell. The api client picks the Electron bridge or
// the loopback server by itself (api/client.ts).
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { useNotices } from './stores/notices'
import './style.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
// A bug in a view shows as a message, never as a blank screen.
app.config.errorHandler = (err) => {
  console.error(err)
  useNotices(pinia).alert('The view hit an error', err instanceof Error ? err.message : String(err))
}
app.mount('#app')
